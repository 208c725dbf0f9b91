// Reads a Jest --json result file and prints "passed failed skipped" for .ci/run's summary line.
// failed counts failing tests, every test file that failed with no failing test in it (a suite
// that errored in beforeAll/afterAll, or did not load), and every skipped test that matches none of
// the allowed patterns (argv[3..], regexes over "path/of/file.ts › full title"): CI skips only what
// the README says it skips.
const { readFileSync } = require('node:fs');
const { relative } = require('node:path');

const [file, ...allowed] = process.argv.slice(2);
const patterns = allowed.map((pattern) => new RegExp(pattern));
const result = JSON.parse(readFileSync(file, 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const suite of result.testResults) {
  const path = relative(process.cwd(), suite.name);
  const tests = suite.assertionResults ?? [];
  for (const test of tests) {
    const name = `${path} › ${test.fullName ?? [...test.ancestorTitles, test.title].join(' ')}`;
    if (test.status === 'passed') passed++;
    else if (test.status === 'failed') failed++;
    else if (patterns.some((pattern) => pattern.test(name))) skipped++;
    else {
      failed++;
      console.error(`skipped, and CI does not skip it: ${name}`);
    }
  }
  if (suite.status === 'failed' && !tests.some((test) => test.status === 'failed')) {
    failed++;
    console.error(`suite failed outside its tests: ${path}: ${(suite.message || suite.failureMessage || '').split('\n').find((l) => l.trim()) ?? ''}`);
  }
}
if (passed + failed === 0) failed++;
console.log(passed, failed, skipped);
