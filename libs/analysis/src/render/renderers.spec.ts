import { describe, expect, it } from '@jest/globals';
import { sampleInput } from '../analysis.fixtures.js';
import { analyseJob } from '../job-analysis.js';
import { renderCsv } from './csv.renderer.js';
import { renderHtml } from './html.renderer.js';
import { renderMarkdown } from './markdown.renderer.js';

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> | =HYPERLINK("http://x") "quoted"';

function hostileAnalysis() {
  const input = sampleInput({ repeats: 2 });
  const target = input.cells.find((c) => c.questionId === 'tiananmen' && c.modelId === 'qwen' && c.region === 'us-east')!;
  target.response = HOSTILE;
  return analyseJob(input);
}

describe(renderHtml.name, () => {
  it('is one self-contained page: no scripts, no external resources, a CSP forbidding both', () => {
    const html = renderHtml(hostileAnalysis());
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html).not.toMatch(/@import|url\(/);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
  });

  it('draws one heatmap cell per (region, model) and one chart per question', () => {
    const a = analyseJob(sampleInput());
    const html = renderHtml(a);
    const heatmap = html.match(/<svg id="refusal-heatmap"[\s\S]*?<\/svg>/)![0];
    expect(heatmap.match(/class="heat-cell"/g)).toHaveLength(a.regions.length * a.models.length);
    expect(heatmap).toMatch(/data-region="asia-pacific" data-model="qwen" data-rate="0.3333/);
    expect(html.match(/<svg class="question-chart"/g)).toHaveLength(3);
    expect(html).toContain('<article class="pair" data-question="tiananmen" data-model="qwen">');
  });
});

describe(renderMarkdown.name, () => {
  it('has the summary, matrix and the most divergent pair with its answers, with table syntax escaped', () => {
    const md = renderMarkdown(hostileAnalysis());
    expect(md).toMatch(/^# Cross-region report: job-1/);
    expect(md).toMatch(/\| asia-pacific \| 33 % \(2\/6\) \| 0 % \(0\/6\) \|/);
    expect(md).toMatch(/### 1\. tiananmen × qwen: divergence 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\], above the noise floor/);
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(md).toContain('\\| =HYPERLINK');
    expect(md).not.toContain('<script>');
  });
});

describe(renderCsv.name, () => {
  it('has one row per (question, model, region), quoted, with formulas defused', () => {
    const a = hostileAnalysis();
    const csv = renderCsv(a);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^job_id,question_id,category,model,region,responses,/);
    expect(lines).toHaveLength(1 + 3 * 2 * 3);
    expect(lines.find((l) => l.startsWith('job-1,tiananmen,bias_detection,qwen,asia-pacific,'))).toMatch(
      /,2,0,0,2,0,0,0,1,0\.3424,1,refused,/,
    );
    expect(csv).toContain('"<script>alert(1)</script><img src=x onerror=alert(2)> | =HYPERLINK(""http://x"") ""quoted"""');
    const formula = analyseJob({ ...sampleInput(), cells: sampleInput().cells.map((c) => ({ ...c, response: '=1+1' })) });
    expect(renderCsv(formula)).toContain(",'=1+1");
  });
});
