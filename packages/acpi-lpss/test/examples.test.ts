import { readmeExamples } from '../../../vitest.examples.ts';

readmeExamples(new URL('..', import.meta.url));
