import { readmeExamples } from '../../../vitest.examples.ts';

readmeExamples(new URL('..', import.meta.url), { 'quick-start.ts': new URL('../../../README.md', import.meta.url) });
