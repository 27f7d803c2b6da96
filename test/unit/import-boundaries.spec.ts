import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');
// The files linted here are made up, so no tsconfig holds them: type-aware linting is off (the boundaries need no types).
const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });

/** Lints `code` as if it were the file at `file` and returns the boundary rule's messages. */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  const fatal = result!.messages.find((m) => m.fatal);
  if (fatal) throw new Error(`eslint could not lint ${file}: ${fatal.message}`);
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it('forbids framework imports in libs/domain', async () => {
    expect(
      await violations('libs/domain/src/x.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n"),
    ).toEqual([expect.stringMatching(/domain is plain TypeScript/)]);
    expect(await violations('libs/domain/src/x.ts', "import { DataSource } from 'typeorm';\nexport const x = DataSource;\n")).toHaveLength(
      1,
    );
  });

  it('forbids libs/domain from importing other libs', async () => {
    expect(
      await violations('libs/domain/src/x.ts', "import { createDataSource } from '@beacon/db';\nexport const x = createDataSource;\n"),
    ).toEqual([expect.stringMatching(/domain imports nothing of ours/)]);
  });

  it('forbids a lib from importing an app, by alias or by path', async () => {
    expect(
      await violations('libs/db/src/x.ts', "import { createRunnerApp } from '@beacon/runner';\nexport const x = createRunnerApp;\n"),
    ).toContainEqual(expect.stringMatching(/a lib never imports an app/));
    expect(
      await violations('libs/db/src/x.ts', "import { run } from '../../../apps/cli/src/program.js';\nexport const x = run;\n"),
    ).toHaveLength(1);
  });

  it('forbids reaching into another lib by relative path', async () => {
    expect(
      await violations('libs/db/src/x.ts', "import { planAxes } from '../../domain/src/index.js';\nexport const x = planAxes;\n"),
    ).toEqual([expect.stringMatching(/alias/)]);
  });

  it('keeps the tui and the api client away from the database and Nest', async () => {
    expect(
      await violations('libs/tui/src/x.ts', "import { ReadRepository } from '@beacon/db';\nexport const x = ReadRepository;\n"),
    ).toHaveLength(1);
    expect(
      await violations('libs/api-client/src/x.ts', "import { Controller } from '@nestjs/common';\nexport const x = Controller;\n"),
    ).toHaveLength(1);
  });

  it('keeps the classifier on domain alone: no engine, database or framework', async () => {
    expect(
      await violations(
        'libs/classifier/src/x.ts',
        "import { OpenAiCompatibleProvider } from '@beacon/engine';\nexport const x = OpenAiCompatibleProvider;\n",
      ),
    ).toEqual([expect.stringMatching(/classifier imports only domain/)]);
    expect(
      await violations(
        'libs/classifier/src/x.ts',
        "import { ClassificationRepository } from '@beacon/db';\nexport const x = ClassificationRepository;\n",
      ),
    ).toHaveLength(1);
    expect(
      await violations('libs/classifier/src/x.ts', "import { DataSource } from 'typeorm';\nexport const x = DataSource;\n"),
    ).toHaveLength(1);
    expect(
      await violations(
        'libs/classifier/src/x.ts',
        "import { isActiveJobStatus } from '@beacon/domain';\nexport const x = isActiveJobStatus;\n",
      ),
    ).toEqual([]);
  });

  it('keeps db, engine, reconciler and observability to the libs the architecture gives them', async () => {
    expect(await violations('libs/db/src/x.ts', "import { RULES } from '@beacon/reconciler';\nexport const x = RULES;\n")).toEqual([
      expect.stringMatching(/db imports only domain/),
    ]);
    expect(
      await violations('libs/db/src/x.ts', "import { MIGRATIONS } from '@beacon/migrations';\nexport const x = MIGRATIONS;\n"),
    ).toEqual([]);
    expect(await violations('libs/engine/src/x.ts', "import { RULES } from '@beacon/reconciler';\nexport const x = RULES;\n")).toHaveLength(
      1,
    );
    expect(
      await violations('libs/engine/src/x.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n"),
    ).toHaveLength(1);
    expect(
      await violations(
        'libs/engine/src/x.ts',
        "import { classifyResponse } from '@beacon/classifier';\nexport const x = classifyResponse;\n",
      ),
    ).toEqual([]);
    expect(
      await violations('libs/reconciler/src/x.ts', "import { Engine } from '@beacon/engine';\nexport const x = Engine;\n"),
    ).toHaveLength(1);
    expect(
      await violations('libs/observability/src/x.ts', "import { ReadRepository } from '@beacon/db';\nexport const x = ReadRepository;\n"),
    ).toHaveLength(1);
  });

  it('keeps the runner from importing the CLI', async () => {
    expect(await violations('apps/runner/src/x.ts', "import { run } from '../../cli/src/program.js';\nexport const x = run;\n")).toEqual([
      expect.stringMatching(/never imports the CLI/),
    ]);
  });

  it('keeps analysis and the simulator on domain alone', async () => {
    expect(
      await violations('libs/analysis/src/x.ts', "import { ReadRepository } from '@beacon/db';\nexport const x = ReadRepository;\n"),
    ).toHaveLength(1);
    expect(await violations('libs/simulator/src/x.ts', "import { Engine } from '@beacon/engine';\nexport const x = Engine;\n")).toEqual([
      expect.stringMatching(/fake upstream/),
    ]);
    expect(
      await violations('libs/simulator/src/x.ts', "import { Controller } from '@nestjs/common';\nexport const x = Controller;\n"),
    ).toHaveLength(1);
  });

  it('keeps migrations free of our code', async () => {
    expect(await violations('migrations/2-x.ts', "import { CELL_SQL } from '@beacon/db';\nexport const x = CELL_SQL;\n")).toHaveLength(1);
  });

  it('allows the imports the architecture allows', async () => {
    expect(
      await violations(
        'libs/db/src/x.ts',
        "import { planAxes } from '@beacon/domain';\nimport { DataSource } from 'typeorm';\nexport const x = [planAxes, DataSource];\n",
      ),
    ).toEqual([]);
    expect(
      await violations(
        'apps/runner/src/x.ts',
        "import { Injectable } from '@nestjs/common';\nimport { createDataSource } from '@beacon/db';\nexport const x = [Injectable, createDataSource];\n",
      ),
    ).toEqual([]);
  });
});
