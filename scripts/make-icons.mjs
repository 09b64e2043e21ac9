// Draws the tray and app icons (a camera glyph) into PNGs, so they can be regenerated without an image
// editor: `node scripts/make-icons.mjs`. macOS tray icons are Template images (black + alpha), which the
// menu bar tints for light and dark mode itself; other platforms get a coloured icon.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const assets = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; header[9] = 6; // 8-bit RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const roundRect = (x, y, cx, cy, hw, hh, r) => {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
/** Coverage of the camera glyph at (x, y) in a 16-unit box: outline body, lens ring, viewfinder bump. */
function glyph(x, y) {
  const body = roundRect(x, y, 8, 9, 6.5, 4.75, 1.8);
  const ring = Math.abs(Math.hypot(x - 8, y - 9.2) - 2.4);
  const bump = roundRect(x, y, 8, 4.2, 2.2, 1.2, 0.6);
  const stroke = 0.75;
  return Math.abs(body) < stroke || ring < stroke || (bump < 0 && y < 4.6);
}
function render(size, color, { background = null, scale = 1 } = {}) {
  const rgba = Buffer.alloc(size * size * 4);
  const ss = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hit = 0;
      let bg = 0;
      for (let sy = 0; sy < ss; sy++) for (let sx = 0; sx < ss; sx++) {
        const u = ((px + (sx + 0.5) / ss) / size) * 16;
        const v = ((py + (sy + 0.5) / ss) / size) * 16;
        const gu = (u - 8) / scale + 8;
        const gv = (v - 8) / scale + 8;
        if (glyph(gu, gv)) hit++;
        if (background && roundRect(u, v, 8, 8, 7.6, 7.6, 3.4) < 0) bg++;
      }
      const a = hit / (ss * ss);
      const b = bg / (ss * ss);
      const i = (py * size + px) * 4;
      if (background) {
        for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(background[c] * (1 - a) + color[c] * a);
        rgba[i + 3] = Math.round(255 * Math.max(b, a * b));
      } else {
        for (let c = 0; c < 3; c++) rgba[i + c] = color[c];
        rgba[i + 3] = Math.round(255 * a);
      }
    }
  }
  return png(size, rgba);
}

const files = {
  'trayTemplate.png': render(16, [0, 0, 0]),
  'trayTemplate@2x.png': render(32, [0, 0, 0]),
  'tray.png': render(16, [76, 141, 255]),
  'tray@2x.png': render(32, [76, 141, 255]),
  'icon.png': render(512, [255, 255, 255], { background: [37, 99, 235], scale: 0.62 }),
};
for (const [name, data] of Object.entries(files)) writeFileSync(path.join(assets, name), data);
console.log(`wrote ${Object.keys(files).join(', ')} to ${assets}`);
