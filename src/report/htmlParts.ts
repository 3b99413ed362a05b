/** Small pieces every page of the report shares. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

export const pageStyle = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f6f4;color:#222}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:1.6em}h2{font-size:1.15em;margin:0 0 8px}
.meta{color:#666;margin:0 0 16px;font-size:.9em}
.headline{background:#fff;border-left:6px solid #1b7f5c;padding:14px 18px;margin:0 0 16px}
.headline.none{border-color:#c8553d}.headline .big{font-size:2.1em;font-weight:700}
.headline p{margin:6px 0 0}
figure.plot{background:#fff;margin:0 0 16px;padding:8px;overflow-x:auto}
figure.plot svg{max-width:100%;height:auto}
.cards{display:flex;gap:16px;flex-wrap:wrap;margin:0 0 16px}.card{background:#fff;padding:12px 16px;flex:1;min-width:300px}
section{margin:0 0 16px}#submissions,#transcript,#confirmation{background:#fff;padding:12px 16px}
table{border-collapse:collapse;font-size:.88em}td,th{padding:3px 8px;border-bottom:1px solid #e4e4e4;vertical-align:top;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.subs{width:100%}tr.acc td:nth-child(2){color:#1b7f5c;font-weight:600}tr.rej td:nth-child(2){color:#c8553d}
details summary{cursor:pointer}.runs{color:#555;font-size:.92em}
.launch{border-top:2px solid #ddd;margin-top:12px;padding-top:8px}.launch h3{font-size:1em;margin:0 0 6px;color:#444}
.t{margin:4px 0;padding:4px 8px;border-radius:4px;white-space:pre-wrap;word-break:break-word;font-size:.9em}
.t.prompt{background:#eef3fb}.t.assistant{background:#f1f8f2}.t.thinking{color:#777;font-style:italic}
.t.command,.t.tool{background:#272822;color:#f8f8f2;font-family:ui-monospace,monospace}
.t.output{background:#fafafa;border:1px solid #eee;font-family:ui-monospace,monospace;font-size:.82em}
.t.result,.t.system{color:#555;font-size:.85em}.t.error,.t .err{color:#b00}
.t pre{margin:4px 0 0;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.92em}
.who{font-weight:600;margin-right:6px;font-style:normal}
`;
