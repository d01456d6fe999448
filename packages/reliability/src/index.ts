export { expectedBusOutcome, expectedBusOutcomeModern, expectedGroupOutcome } from './expectations.ts';
export { BUS_DEVICES, families, GROUP_PROFILES, PROFILES } from './families.ts';
export {
  ANSWERS,
  busFamily,
  type Cell,
  type ChainFamily,
  describeOutcome,
  type Outcome,
  renderMatrix,
  runCell,
  runFamily,
} from './fault-matrix.ts';
export { groupFamily, matrixPlugins, profileFlags } from './group-family.ts';
export { ownershipBreaches } from './worlds.ts';
