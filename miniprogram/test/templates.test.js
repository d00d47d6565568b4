// The WXML templates are not run under Node, so check them against the page code statically:
// every page in app.json has its four files, every event binding names a method the page
// defines, and every value a template reads is in the page's data (or a wx:for item).
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));

function pageDefinition(route) {
  let def = null;
  global.Page = (d) => { def = d; };
  global.wx = {};
  global.getApp = () => ({});
  const file = path.join(ROOT, route + '.js');
  delete require.cache[require.resolve(file)];
  require(file);
  return def;
}

for (const route of app.pages) {
  test(`${route}: files, event handlers and data the template reads`, () => {
    for (const ext of ['.js', '.json', '.wxml', '.wxss']) {
      assert.ok(fs.existsSync(path.join(ROOT, route + ext)), `${route}${ext} is missing`);
    }
    JSON.parse(fs.readFileSync(path.join(ROOT, route + '.json'), 'utf8'));
    const def = pageDefinition(route);
    assert.ok(def, `${route}.js calls Page()`);
    const wxml = fs.readFileSync(path.join(ROOT, route + '.wxml'), 'utf8');

    const handlers = [...wxml.matchAll(/\b(?:bind|catch)[a-z]+="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(handlers.length > 0, 'the page reacts to something');
    for (const h of handlers) {
      assert.equal(typeof def[h], 'function', `${route}.wxml binds "${h}", which ${route}.js does not define`);
    }

    const loopNames = new Set(['item', 'index']);
    const expressions = [...wxml.matchAll(/\{\{([^}]+)\}\}/g)].map((m) => m[1]);
    for (const expr of expressions) {
      const stripped = expr.replace(/'[^']*'|"[^"]*"/g, '');
      for (const [, root] of stripped.matchAll(/(?<![.\w])([A-Za-z_$][\w$]*)/g)) {
        if (loopNames.has(root) || ['true', 'false', 'null'].includes(root)) continue;
        assert.ok(Object.hasOwn(def.data, root), `${route}.wxml reads "${root}" (in {{${expr}}}), which is not in the page's data`);
      }
    }
  });
}

test('app.json names only pages that exist, the home page first', () => {
  assert.equal(app.pages[0], 'pages/index/index');
  for (const f of ['app.js', 'app.wxss', 'config.js', 'project.config.json', 'sitemap.json']) {
    assert.ok(fs.existsSync(path.join(ROOT, f)), f);
  }
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'project.config.json'), 'utf8'));
  assert.ok(project.packOptions.ignore.some((i) => i.value === 'test'), 'the tests stay out of the package');
});
