/* hasim: stands in for redis/redis src/config.h, of which src/sha1.c needs only the byte order
 * (WebAssembly is little-endian; musl's <endian.h> defines BYTE_ORDER and LITTLE_ENDIAN). */
#include <endian.h>
