// Two tasks increment a shared counter without a lock: read, then write what was read + 1.
export function createSystem() {
  return {
    run(choose) {
      let x = 0;
      const read = {};
      const pc = { A: 0, B: 0 };
      const transitions = [];
      let current = null;
      for (;;) {
        const enabled = ['A', 'B'].filter((t) => pc[t] < 2);
        if (enabled.length === 0) break;
        const task = choose({ enabled, current });
        if (task === null) return { transitions, outcome: x, aborted: true };
        if (pc[task] === 0) read[task] = x;
        else x = read[task] + 1;
        pc[task]++;
        transitions.push({ task, footprint: ['x'] });
        current = task;
      }
      return { transitions, outcome: x, aborted: false };
    },
    classify: (x) => `x=${x}`,
  };
}
