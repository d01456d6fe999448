import {
  type AuditRecording,
  type AuditReport,
  auditDueDiligence,
  CORE_PROFILES,
  formatAuditReport,
  recordAudit,
} from '@sim/core';
import { auditPage } from '../html/pages.ts';
import { EXIT_OK, EXIT_USAGE } from '../io.ts';
import { DUE_DILIGENCE_MACHINE, dueDiligencePlugins, SEED_CLAIM } from '../plugins/registry.ts';
import { runScenario } from '../run/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { type CommandSpec, INJECT_OPTION, PLUGIN_OPTION } from './command.ts';

/** `sim audit`: notifier answers other than 0/NOTIFY_OK/NOTIFY_DONE, and what the kernel did with them. */
export const auditCommand: CommandSpec = {
  name: 'audit',
  args: '[<scenario>]',
  maxArgs: 1,
  summary: 'answers other than 0/NOTIFY_OK/NOTIFY_DONE, and what the kernel did with them',
  description:
    "Records every notifier answer other than 0, NOTIFY_OK and NOTIFY_DONE during a scenario's run, with what its caller did with it (honoured, ignored, ineffective) and the blocks it kept from being called. Without a scenario: the seed's due diligence, every notifier of the six plugins (keystone, iommu-group, tce-iommu, vfio, i2cdev, acpi-lpss) driven through its non-OK paths, and the findings the seed's paragraph left out.",
  options: {
    profile: {
      type: 'string',
      value: 'P',
      help: "kernel behaviour (default: the scenario's profile; v4.12 for the due diligence)",
    },
    inject: INJECT_OPTION,
    plugin: PLUGIN_OPTION,
  },
  formats: ['text', 'json', 'html'],
  run(ctx) {
    let report: AuditReport;
    let audited: Scenario | null = null;
    if (ctx.args[0] === undefined) {
      if (ctx.list('inject').length > 0) {
        return ctx.usage('--inject needs a scenario to inject into: sim audit <scenario> --inject SPEC');
      }
      // The seed's due diligence: every notifier of the six plugins driven through its non-OK paths, checked
      // against the blocks the seed's paragraph names.
      const profile = ctx.string('profile') ?? 'v4.12';
      if (!CORE_PROFILES.some((p) => p.name === profile)) {
        return ctx.usage(`the due-diligence run takes a core profile: ${CORE_PROFILES.map((p) => p.name).join(', ')}`);
      }
      report = auditDueDiligence({
        plugins: dueDiligencePlugins,
        machine: DUE_DILIGENCE_MACHINE,
        profile,
        claimed: SEED_CLAIM,
      });
    } else {
      const scenario = ctx.load(ctx.args[0]);
      if (typeof scenario === 'number') return scenario;
      audited = scenario;
      const profile = ctx.string('profile') ?? scenario.profile;
      if (!ctx.checkProfile(scenario, profile)) return EXIT_USAGE;
      let recording: AuditRecording | null = null;
      runScenario(scenario, profile, { onKernel: (kernel) => (recording = recordAudit(kernel)) });
      report = (recording as AuditRecording | null)!.stop();
    }
    if (ctx.format === 'html') {
      ctx.io.stdout.write(auditPage(report, audited));
      return EXIT_OK;
    }
    ctx.io.stdout.write(ctx.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatAuditReport(report));
    return EXIT_OK;
  },
};
