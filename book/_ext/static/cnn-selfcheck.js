/* Self-check of choice and value exercises in the static cnncourse book (see book/_ext/cnn_exercises.py).
   No network, no kernel: the verdicts were computed by cnncourse.exercises.check at build time and
   stored encrypted under the hash of each answer; this script hashes what the reader entered. */
(function () {
  "use strict";
  var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
  function sha256(bytes) {           /* bytes: Uint8Array -> Uint8Array(32) */
    var H = [0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19];
    var l = bytes.length, n = ((l + 9 + 63) >> 6) << 6, m = new Uint8Array(n), i, j;
    m.set(bytes); m[l] = 0x80;
    var bits = l * 8;
    for (i = 0; i < 8; i++) { m[n - 1 - i] = bits & 0xff; bits = Math.floor(bits / 256); }
    var w = new Array(64);
    for (i = 0; i < n; i += 64) {
      for (j = 0; j < 16; j++) w[j] = (m[i+4*j] << 24) | (m[i+4*j+1] << 16) | (m[i+4*j+2] << 8) | m[i+4*j+3];
      for (j = 16; j < 64; j++) {
        var a = w[j-15], b = w[j-2];
        var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[j] = (w[j-16] + s0 + w[j-7] + s1) | 0;
      }
      var A=H[0],B=H[1],C=H[2],D=H[3],E=H[4],F=H[5],G=H[6],Hh=H[7];
      for (j = 0; j < 64; j++) {
        var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        var ch = (E & F) ^ (~E & G);
        var t1 = (Hh + S1 + ch + K[j] + w[j]) | 0;
        var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        var maj = (A & B) ^ (A & C) ^ (B & C);
        var t2 = (S0 + maj) | 0;
        Hh = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
      }
      H[0]=(H[0]+A)|0; H[1]=(H[1]+B)|0; H[2]=(H[2]+C)|0; H[3]=(H[3]+D)|0;
      H[4]=(H[4]+E)|0; H[5]=(H[5]+F)|0; H[6]=(H[6]+G)|0; H[7]=(H[7]+Hh)|0;
    }
    var out = new Uint8Array(32);
    for (i = 0; i < 8; i++) { out[4*i] = H[i] >>> 24; out[4*i+1] = (H[i] >>> 16) & 0xff; out[4*i+2] = (H[i] >>> 8) & 0xff; out[4*i+3] = H[i] & 0xff; }
    return out;
  }
  var enc = new TextEncoder(), dec = new TextDecoder();
  function hex(b) { var s = ""; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16); return s; }
  function keyStream(seed, n) {
    var out = new Uint8Array(n), k = 0, c = 0;
    while (k < n) { var d = sha256(enc.encode(seed + ":" + c)); for (var i = 0; i < 32 && k < n; i++) out[k++] = d[i]; c++; }
    return out;
  }
  function fmtNumber(x) {
    if (Math.abs(x - Math.round(x)) < 1e-9) return String(Math.round(x));
    return String(Math.floor(x * 1e4 + 0.5) / 1e4);
  }
  function normaliseValue(text) {
    var m = text.match(/[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g) || [];
    return m.map(function (s) { return fmtNumber(parseFloat(s)); }).join(",");
  }
  function normaliseChoice(keys) {
    var seen = {}; keys.forEach(function (k) { k = k.trim().toLowerCase(); if (k) seen[k] = 1; });
    return Object.keys(seen).sort().join(",");
  }
  function unseal(data, norm) {
    var base = data.salt + "|" + data.id + "|" + norm, h = hex(sha256(enc.encode(base)));
    for (var i = 0; i < data.entries.length; i++) {
      if (data.entries[i].h === h) {
        var raw = atob(data.entries[i].v), bytes = new Uint8Array(raw.length);
        for (var j = 0; j < raw.length; j++) bytes[j] = raw.charCodeAt(j);
        var ks = keyStream(base + "|k", bytes.length);
        for (j = 0; j < bytes.length; j++) bytes[j] ^= ks[j];
        return JSON.parse(dec.decode(bytes));
      }
    }
    return null;
  }
  function init(form) {
    if (form.dataset.ready) return; form.dataset.ready = "1";
    var data = JSON.parse(form.querySelector("script.cnn-selfcheck-data").textContent);
    var out = form.querySelector(".cnn-selfcheck-verdict");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var norm, verdict;
      if (data.kind === "choice") {
        var keys = []; form.querySelectorAll("input[name=choice]:checked").forEach(function (c) { keys.push(c.value); });
        norm = normaliseChoice(keys);
      } else {
        norm = normaliseValue(form.querySelector("input[name=value]").value);
      }
      verdict = norm === "" && data.kind === "value"
        ? {status: "not attempted", message: "Type your answer first, then press Check."}
        : unseal(data, norm);
      if (!verdict) verdict = {status: "unknown", message: "Not one of the answers this page knows: it " +
        "recognises the right answer and the common mistakes. For the full comparison run check(\"" +
        data.id + "\", answer) in the notebook."};
      out.hidden = false; out.dataset.status = verdict.status; out.textContent = verdict.message;
      form.dataset.status = verdict.status;
    });
  }
  window.cnnSelfcheck = {sha256: function (s) { return hex(sha256(enc.encode(s))); },
                         normaliseValue: normaliseValue, normaliseChoice: normaliseChoice, unseal: unseal};
  function all() { document.querySelectorAll("form.cnn-selfcheck").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
