export { replayStep, type ReplayOptions, type ReplayResult, type ReplayedOutcome } from './replayStep';
export type { ReplayOutcome } from './compareOutcomes';
export { assertReplayMatches, describeReplay, flowtrailMatchers } from './replayMatchers';
export { REPLAY_TRIGGER } from './recordReplay';
