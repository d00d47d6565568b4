// Checks of the sample's files that need no server: every app.json page exists with its four
// files, every WXML event binding names a method of its page, every {{value}} a template
// reads is in the page's data or set by its setData, and the JavaScript type-checks against
// Tencent's miniprogram-api-typings (a misspelled wx API or option fails).
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));

// pageDefinition is what the page passes to Page(), read without running anything else.
function pageDefinition(route) {
  let def = null;
  const saved = { Page: global.Page, wx: global.wx, getApp: global.getApp };
  global.Page = (d) => { def = d; };
  global.wx = {};
  global.getApp = () => ({});
  try {
    const file = path.join(ROOT, route + '.js');
    delete require.cache[require.resolve(file)];
    require(file);
  } finally {
    Object.assign(global, saved);
  }
  return def;
}

// setDataKeys are the top-level names the page's setData calls write ("a.b" and "a[0]" write a).
function setDataKeys(source) {
  const keys = new Set();
  for (const [, body] of source.matchAll(/setData\(\{([^}]*)\}/g)) {
    for (const [, key] of body.matchAll(/(?:^|,)\s*['"]?([A-Za-z_$][\w$]*)/g)) keys.add(key);
  }
  return keys;
}

for (const route of app.pages) {
  test(`${route}: files, event handlers and the values the template reads`, () => {
    for (const ext of ['.js', '.json', '.wxml', '.wxss']) {
      assert.ok(fs.existsSync(path.join(ROOT, route + ext)), `${route}${ext} is missing`);
    }
    JSON.parse(fs.readFileSync(path.join(ROOT, route + '.json'), 'utf8'));
    const def = pageDefinition(route);
    assert.ok(def, `${route}.js calls Page()`);
    const wxml = fs.readFileSync(path.join(ROOT, route + '.wxml'), 'utf8');
    const source = fs.readFileSync(path.join(ROOT, route + '.js'), 'utf8');

    // bindtap, catchtap, bind:tap, catch:tap, capture-bind:tap, mut-bind:tap.
    const handlers = [...wxml.matchAll(/\s(?:capture-)?(?:bind|catch|mut-bind):?([a-z]+)="([^"]*)"/g)];
    assert.ok(handlers.length > 0, 'the page reacts to something');
    for (const [, event, name] of handlers) {
      assert.doesNotMatch(name, /\{\{/, `${route}.wxml: ${event} names its handler with an expression`);
      assert.equal(typeof def[name], 'function', `${route}.wxml binds ${event} to "${name}", which ${route}.js does not define`);
    }

    const known = new Set([...Object.keys(def.data || {}), ...setDataKeys(source)]);
    const loopNames = new Set(['item', 'index']);
    for (const [, name] of wxml.matchAll(/wx:for-(?:item|index)="([^"]+)"/g)) loopNames.add(name);
    for (const [, expr] of wxml.matchAll(/\{\{([^}]+)\}\}/g)) {
      const stripped = expr.replace(/'[^']*'|"[^"]*"/g, '');
      for (const [, root] of stripped.matchAll(/(?<![.\w$])([A-Za-z_$][\w$]*)/g)) {
        if (loopNames.has(root) || ['true', 'false', 'null', 'undefined'].includes(root)) continue;
        assert.ok(known.has(root), `${route}.wxml reads "${root}" (in {{${expr}}}), which the page neither has in data nor sets with setData`);
      }
    }
  });
}

test('app.json names only pages that exist, the home page first', () => {
  assert.equal(app.pages[0], 'pages/index/index');
  assert.equal(new Set(app.pages).size, app.pages.length, 'no page twice');
  for (const f of ['app.js', 'app.wxss', 'config.js', 'project.config.json', 'sitemap.json']) {
    assert.ok(fs.existsSync(path.join(ROOT, f)), f);
  }
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'project.config.json'), 'utf8'));
  assert.ok(project.packOptions.ignore.some((i) => i.value === 'test'), 'the tests stay out of the package');
});

test('the JavaScript type-checks against miniprogram-api-typings', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(run.status, 0, 'tsc found:\n' + run.stdout + run.stderr);
});
