// The lightbox: a link to an original in an album (macros.html `attachments`, `photo_grid`)
// opens here instead, with its alt text, previous/next, the keyboard (← → Esc) and swipes.
// Without JavaScript the same link simply opens the original.
const SWIPE = 50; // px of horizontal travel that turns the page

let dialog;
let items = [];
let index = 0;

function build() {
  dialog = document.createElement("dialog");
  dialog.className = "lightbox";
  dialog.setAttribute("aria-label", "Photo viewer");
  dialog.innerHTML = `<figure><img alt=""><figcaption></figcaption></figure>
    <button type="button" class="close" aria-label="Close">×</button>
    <button type="button" class="previous" aria-label="Previous photo">‹</button>
    <button type="button" class="next" aria-label="Next photo">›</button>`;
  dialog.querySelector(".close").addEventListener("click", () => dialog.close());
  dialog.querySelector(".previous").addEventListener("click", () => show(index - 1));
  dialog.querySelector(".next").addEventListener("click", () => show(index + 1));
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") show(index - 1);
    if (event.key === "ArrowRight") show(index + 1);
  });
  dialog.querySelector("img").draggable = false; // a swipe must not start dragging it
  let startX = null;
  const figure = dialog.querySelector("figure");
  figure.addEventListener("pointerdown", (event) => (startX = event.clientX));
  figure.addEventListener("pointerup", (event) => {
    const travel = startX === null ? 0 : event.clientX - startX;
    if (Math.abs(travel) > SWIPE) show(index + (travel < 0 ? 1 : -1));
    startX = null;
  });
  document.body.append(dialog);
}

function show(at) {
  index = (at + items.length) % items.length;
  const link = items[index];
  const img = dialog.querySelector("img");
  img.src = link.href;
  img.alt = link.dataset.alt || "";
  dialog.querySelector("figcaption").textContent = link.dataset.alt || "";
  dialog.querySelectorAll(".previous, .next").forEach((b) => (b.hidden = items.length < 2));
  dialog.dataset.position = `${index + 1}/${items.length}`;
}

export function setUpLightbox() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-album] a.album-item");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    if (!dialog || !dialog.isConnected) build();
    items = [...link.closest("[data-album]").querySelectorAll("a.album-item")];
    show(items.indexOf(link));
    dialog.showModal(); // Esc closes a modal dialog
  });
}
