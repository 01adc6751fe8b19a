// What make bench measures must be what production runs, and its memory verdict must not hang on
// one RSS reading.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { productionSettings, productionValuesFile } from '../bench/production-settings';
import { type BenchReport, renderMarkdown } from '../bench/report';
import { rssGrowth } from '../bench/samples';

describe('make bench', function () {
  it("runs the API with the chart's production values, whose trace sampling ratio is below 1", function () {
    const values = parse(readFileSync(productionValuesFile, 'utf8')) as {
      logLevel: string;
      traceSampleRatio: number;
    };
    const environment = productionSettings();
    expect(environment).to.include({
      APP_ENV: 'production',
      LOG_LEVEL: values.logLevel,
      TRACE_SAMPLE_RATIO: String(values.traceSampleRatio),
    });
    // Production keeps a sample of the traces (app/chart/README.md, "Trace sampling").
    expect(Number(environment.TRACE_SAMPLE_RATIO)).to.be.above(0).and.below(1);
  });

  it("passes on the chart's NODE_OPTIONS, a default of values.yaml the production file does not override", function () {
    const defaults = parse(
      readFileSync(join(dirname(productionValuesFile), 'values.yaml'), 'utf8'),
    ) as {
      nodeOptions: string;
    };
    expect(defaults.nodeOptions).to.include('--max-semi-space-size=');
    expect(productionSettings().NODE_OPTIONS).to.equal(defaults.nodeOptions);
  });

  describe('RSS growth', function () {
    const mib = 2 ** 20;

    it('compares the medians of the first and last tenths, not two single readings', function () {
      // A garbage-collector sawtooth around a flat 150 MiB: the last reading is a peak, the first
      // after the warm-up a trough. Two single readings would say +20 %.
      const samples = Array.from({ length: 100 }, (_, i) => (150 + ((i % 3) - 1) * 15) * mib);
      samples[0] = 135 * mib;
      samples[99] = 165 * mib;
      const growth = rssGrowth(samples);
      expect(growth.windowSamples).to.equal(10);
      expect(growth.startMedian).to.equal(150 * mib);
      expect(growth.endMedian).to.equal(150 * mib);
    });

    it('still sees a steady growth (a leak)', function () {
      const samples = Array.from({ length: 50 }, (_, i) => (100 + i) * mib);
      const growth = rssGrowth(samples);
      expect(growth.windowSamples).to.equal(5);
      expect(growth.startMedian).to.equal(102 * mib);
      expect(growth.endMedian).to.equal(147 * mib);
    });

    it('refuses a run too short for two windows of 3 readings', function () {
      expect(() => rssGrowth([1, 2, 3, 4, 5])).to.throw(/5 RSS samples: too short a memory run/);
    });
  });
});

describe('make bench report: the Node.js of each build', function () {
  const latest = JSON.parse(
    readFileSync(join(__dirname, '..', 'bench', 'results', 'latest.json'), 'utf8'),
  ) as BenchReport;

  it('names the previous build’s Node.js when BENCH_BEFORE_NODE ran it on another one', function () {
    const report = { ...latest, machine: { ...latest.machine, previousBuildNode: 'v20.20.2' } };
    const markdown = renderMarkdown(report);
    expect(markdown).to.include(
      `| Node.js | ${latest.machine.node} for every server, but v20.20.2 for the previous build`,
    );
    expect(markdown).to.include(
      `The previous build ran on Node.js v20.20.2, this one on ${latest.machine.node}`,
    );
    expect(markdown).to.include(
      'The runtime moved too: the previous build ran on Node.js v20.20.2',
    );
  });

  it('says one Node.js ran every server when BENCH_BEFORE_NODE named the same release', function () {
    const markdown = renderMarkdown({
      ...latest,
      machine: { ...latest.machine, previousBuildNode: latest.machine.node },
    });
    expect(markdown).to.include(`| Node.js | ${latest.machine.node} for every server |`);
    expect(markdown).not.to.include('The runtime moved too');
  });

  it('fills every figure of the gap paragraphs (no ${name} left)', function () {
    expect(renderMarkdown(latest)).not.to.match(/\$\{\w+\}/);
  });

  it('says one Node.js ran every server otherwise', function () {
    const markdown = renderMarkdown({
      ...latest,
      machine: { ...latest.machine, previousBuildNode: undefined },
    });
    expect(markdown).to.include(`| Node.js | ${latest.machine.node} for every server |`);
    expect(markdown).not.to.include('The previous build ran on Node.js');
    expect(markdown).not.to.include('The runtime moved too');
  });
});
