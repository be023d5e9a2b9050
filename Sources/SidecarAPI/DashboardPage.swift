/// `GET /ui`: one self-contained page (no CDN, nothing fetched from elsewhere) that polls
/// `/v1/mesh` every second and shows members, weights, Tᵢ/Sᵢ, the mesh means T̄ and S̄, and a
/// chart of each host's latency over the last two minutes. With zones (serf tag `zone`), the
/// member rows are grouped under one header row per zone with its weight share, T̄ and S̄.
public enum DashboardPage {
    public static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SessionMesh</title>
<style>
 body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b2330;background:#f6f7f9}
 h1{font-size:20px;margin:0 0 4px} .sub{color:#5b6675;margin-bottom:16px}
 .cards{display:flex;gap:12px;margin-bottom:16px;flex-wrap:wrap}
 .card{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:10px 14px;min-width:130px}
 .card b{display:block;font-size:22px}
 table{border-collapse:collapse;background:#fff;border:1px solid #dde2e8;border-radius:8px;width:100%;margin-bottom:16px}
 th,td{padding:6px 10px;border-bottom:1px solid #eef1f4;text-align:right;white-space:nowrap}
 th:first-child,td:first-child,td.l,th.l{text-align:left}
 .alive{color:#137333}.suspect{color:#b06000}.dead,.failed{color:#c5221f}.left{color:#5b6675}
 .bar{display:inline-block;height:8px;background:#4f7cff;border-radius:4px;vertical-align:middle;margin-right:6px}
 svg{background:#fff;border:1px solid #dde2e8;border-radius:8px}
 .err{color:#c5221f}
 tr.zone td{background:#eef2ff;text-align:left;font-weight:600}
</style></head>
<body>
<h1>SessionMesh</h1>
<div class="sub" id="sub">loading…</div>
<div class="cards">
 <div class="card">members alive<b id="alive">–</b></div>
 <div class="card">T̄ mean response time<b id="tbar">–</b></div>
 <div class="card">S̄ mean sessions<b id="sbar">–</b></div>
 <div class="card">imbalance (max/mean T, S)<b id="imb">–</b></div>
</div>
<table><thead><tr><th class="l">member</th><th class="l">status</th><th>weight</th><th>Tᵢ (ms)</th><th>Sᵢ</th>
<th>in flight</th><th>req/s</th><th>cpu</th><th>load age</th><th class="l">app</th><th class="l">gossip</th></tr></thead>
<tbody id="rows"></tbody></table>
<div class="sub">latency Tᵢ per host (ms), last 120 s</div>
<svg id="chart" width="900" height="220" viewBox="0 0 900 220"></svg>
<script>
"use strict";
const history = {}; const colors = ["#4f7cff","#e8710a","#12b5cb","#9334e6","#188038","#d01884","#f9ab00","#5f6368"];
const fmt = (x, d=1) => (x === null || x === undefined || isNaN(x)) ? "–" : Number(x).toFixed(d);
function esc(s){return String(s).replace(/[&<>"']/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c]));}
async function tick(){
  try{
    const r = await fetch("/v1/mesh", {cache:"no-store"});
    if(!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
  }catch(e){ document.getElementById("sub").innerHTML = '<span class="err">cannot read /v1/mesh: '+esc(e.message)+'</span>'; }
}
function render(m){
  const members = m.members || [];
  const maxW = Math.max(1e-9, ...members.map(x => x.weight || 0));
  document.getElementById("sub").textContent = "view of " + (members.find(x=>x.isLocal)||{name:"?"}).name + " · " + new Date().toLocaleTimeString();
  const suspects = members.filter(x=>x.status==="suspect").length;
  document.getElementById("alive").textContent = members.filter(x=>x.status==="alive").length + " / " + members.length +
    (suspects ? " (" + suspects + " suspect)" : "");
  document.getElementById("tbar").textContent = fmt(m.meanResponseTimeMs, 2) + " ms";
  document.getElementById("sbar").textContent = fmt(m.meanSessions, 1);
  const imb = m.imbalance || {};
  document.getElementById("imb").textContent = fmt(imb.responseTime, 2) + " · " + fmt(imb.sessions, 2);
  const row = x => {
    const l = x.load || {};
    return "<tr><td>"+esc(x.name)+(x.isLocal?" (this host)":"")+"</td><td class='l "+esc(x.status)+"'>"+esc(x.status)+"</td>"+
      "<td><span class='bar' style='width:"+Math.round(60*(x.weight||0)/maxW)+"px'></span>"+fmt(x.weight,2)+"</td>"+
      "<td>"+fmt(x.responseTimeMs,2)+"</td><td>"+fmt(x.sessions,0)+"</td><td>"+fmt(l.inFlight,0)+"</td><td>"+fmt(l.requestRate,1)+"</td>"+
      "<td>"+(l.cpu===undefined?"–":Math.round(l.cpu*100)+"%")+"</td><td>"+(x.loadAge===null||x.loadAge===undefined?"–":fmt(x.loadAge,1)+" s")+"</td>"+
      "<td class='l'>"+esc(x.appAddress||"")+"</td><td class='l'>"+esc(x.address||"")+"</td></tr>";
  };
  // Grouped by zone when any member has one: a header row per zone, then its members.
  const zones = (m.zones || []).filter(z => z.members && z.members.length);
  const byName = {}; for(const x of members){ byName[x.name] = x; }
  document.getElementById("rows").innerHTML = (zones.length > 1 || (zones.length === 1 && zones[0].zone !== ""))
    ? zones.map(z => "<tr class='zone'><td colspan='11'>zone "+esc(z.zone || "(none)")+" · "+z.members.length+" member"+(z.members.length === 1 ? "" : "s")+
        " · weight share "+Math.round(100*(z.weightShare||0))+"% · T̄ "+fmt(z.meanResponseTimeMs,2)+" ms · S̄ "+fmt(z.meanSessions,1)+"</td></tr>"+
        z.members.map(n => byName[n]).filter(Boolean).map(row).join("")).join("")
    : members.map(row).join("");
  const now = Date.now();
  for(const x of members){ (history[x.name] = history[x.name] || []).push([now, x.responseTimeMs]); }
  for(const k in history){ history[k] = history[k].filter(p => now - p[0] <= 120000); }
  chart(now);
}
function chart(now){
  const svg = document.getElementById("chart"), W = 900, H = 220, P = 30;
  const pts = Object.values(history).flat().map(p=>p[1]).filter(v=>v!==null && v!==undefined);
  const max = Math.max(1, ...pts) * 1.1;
  let s = "<line x1='"+P+"' y1='"+(H-P)+"' x2='"+(W-10)+"' y2='"+(H-P)+"' stroke='#ccd'/>"+
          "<text x='4' y='14' font-size='11' fill='#5b6675'>"+fmt(max,1)+" ms</text>";
  Object.keys(history).sort().forEach((name, i) => {
    const c = colors[i % colors.length];
    const d = history[name].filter(p=>p[1]!==null && p[1]!==undefined).map(p => {
      const x = P + (W-P-10) * (1 - (now - p[0]) / 120000), y = (H-P) - (H-2*P) * p[1] / max;
      return x.toFixed(1)+","+y.toFixed(1);
    }).join(" ");
    s += "<polyline fill='none' stroke='"+c+"' stroke-width='2' points='"+d+"'/>";
    s += "<text x='"+(P+10+i*110)+"' y='"+(H-8)+"' font-size='12' fill='"+c+"'>■ "+esc(name)+"</text>";
  });
  svg.innerHTML = s;
}
tick(); setInterval(tick, 1000);
</script>
</body></html>
"""#
}
