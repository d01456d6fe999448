export {
  expectedBusOutcome,
  expectedBusOutcomeModern,
  expectedGroupOutcome,
  expectedLpssOwnAnswer,
  withLpssPmDomain,
} from './expectations.ts';
export { BUS_DEVICES, families, GROUP_PROFILES, LPSS_DEVICE, LPSS_OWN_ANSWER, PROFILES } from './families.ts';
export {
  ANSWERS,
  busFamily,
  type Cell,
  type ChainFamily,
  describeOutcome,
  type Fault,
  type Outcome,
  renderMatrix,
  runCell,
  runFamily,
} from './fault-matrix.ts';
export { groupFamily, matrixPlugins, profileFlags } from './group-family.ts';
export {
  BIND_STORE_RACE,
  bindStoreRaceVictims,
  hasRace,
  inBindStoreRaceShape,
  KNOWN_RACES,
  type KnownRace,
} from './known-races.ts';
export { ownershipBreaches } from './worlds.ts';
