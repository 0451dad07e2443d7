// ESLint (flat config): typescript-eslint type-checked rules, plus the dependency direction of
// STYLE.md enforced with no-restricted-imports: commands → core, providers, store, config,
// output, io; providers → core; store → core; output → core; core → nothing of ours.
// Each third-party library lives in one layer.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layerLibraries = {
  providers: ['undici'],
  store: ['better-sqlite3'],
  config: ['conf', 'env-paths', 'csv-parse', 'csv-parse/*'],
  io: ['chalk', 'ora', '@inquirer/*'],
  output: ['cli-table3', 'csv-stringify', 'csv-stringify/*'],
};
const librariesOutside = (layer) =>
  Object.entries(layerLibraries)
    .filter(([name]) => name !== layer)
    .flatMap(([, libs]) => libs);

const restrict = (layer, forbiddenLayers, extra = []) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbiddenLayers.map((forbidden) => ({
            group: [`**/${forbidden}/*`, `**/${forbidden}.js`],
            message: `src/${layer} must not import src/${forbidden} (STYLE.md dependency direction).`,
          })),
          {
            group: librariesOutside(layer),
            message: `this library belongs to another layer (STYLE.md: each third-party library lives in one place).`,
          },
          ...extra,
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'completions/**',
      'fixtures/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', 'bench/*.mjs', 'scripts/*.mjs', 'bin/*.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Scripts and the launcher run on Node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        fetch: 'readonly',
      },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // core: pure. Nothing of ours outside core, no third-party but zod and luxon, no node: I/O.
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./', message: 'src/core imports nothing of ours outside core.' },
            {
              regex: '^(?!\\./|zod$|zod/mini$|luxon$)',
              message: 'src/core uses only zod and luxon (no I/O, no other libraries).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'src/core reads no environment.' },
      ],
    },
  },
  restrict('providers', ['commands', 'store', 'config', 'output', 'io', 'context']),
  restrict('store', ['commands', 'providers', 'config', 'output', 'io', 'context']),
  restrict('output', ['commands', 'providers', 'store', 'config', 'io', 'context']),
  restrict('config', ['commands', 'providers', 'store', 'output', 'io', 'context']),
  restrict('io', ['commands', 'providers', 'store', 'config', 'context']),
  restrict('accounting', ['commands', 'output', 'io']),
  restrict('commands', []),
);
