import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'publish-e2e',
    include: ['test/**/*.test.ts'],
    // Publishing every package (the release command builds first) and installing with npm take minutes.
    hookTimeout: 900_000,
    testTimeout: 300_000,
    // After every other project (demo is 1, memory 2): the release command runs the build, which must not rewrite dist/ under tests
    // that run the built files.
    sequence: { groupOrder: 3 },
  },
});
