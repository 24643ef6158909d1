// The hit-rate tool moved to tools/hitrate/ (it is a tool, not a simulated twin). This re-export
// keeps test/src/cache/wtinylfu.test.ts, which another branch is editing, building until that test
// imports tools/hitrate/traces.ts itself; then this file goes.
export { loopTrace } from '../../tools/hitrate/traces.ts';
