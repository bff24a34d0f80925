// Blurhash placeholders (https://blurha.sh, the public algorithm, decode only): each image
// that names one is painted with its blurred colours until the preview itself has loaded.
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
const SIZE = 32; // pixels decoded; the browser stretches them

const base83 = (text) => [...text].reduce((value, c) => value * 83 + DIGITS.indexOf(c), 0);
const linear = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const srgb = (v) => {
  v = Math.min(1, Math.max(0, v));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055) * 255);
};
const signedSquare = (v) => Math.sign(v) * v * v;

export function decode(hash, width = SIZE, height = SIZE) {
  const size = base83(hash[0]);
  const nx = (size % 9) + 1;
  const ny = Math.floor(size / 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error(`not a blurhash: ${hash}`);
  const scale = (base83(hash[1]) + 1) / 166;
  const dc = base83(hash.slice(2, 6));
  const colours = [[dc >> 16, (dc >> 8) & 255, dc & 255].map(linear)];
  for (let n = 1; n < nx * ny; n++) {
    const ac = base83(hash.slice(4 + 2 * n, 6 + 2 * n));
    const quantised = [Math.floor(ac / 361), Math.floor(ac / 19) % 19, ac % 19];
    colours.push(quantised.map((q) => signedSquare((q - 9) / 9) * scale));
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = [0, 0, 0];
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
          colours[i + j * nx].forEach((c, k) => (rgb[k] += c * basis));
        }
      }
      pixels.set([...rgb.map(srgb), 255], 4 * (x + y * width));
    }
  }
  return pixels;
}

function paint(img) {
  if (img.complete && img.naturalWidth) return;
  try {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = SIZE;
    canvas.getContext("2d").putImageData(new ImageData(decode(img.dataset.blurhash), SIZE), 0, 0);
    img.style.backgroundImage = `url(${canvas.toDataURL()})`;
    img.addEventListener("load", () => (img.style.backgroundImage = ""), { once: true });
  } catch (error) {
    console.warn(error.message); // a bad hash from elsewhere: the plain grey box stays
  }
}

export function paintAll(root = document) {
  root.querySelectorAll("img[data-blurhash]").forEach(paint);
}
