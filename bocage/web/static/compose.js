// The compose form's attachments: each file is uploaded as soon as it is chosen (with a
// preview and a progress bar), and the post then carries only its id (`media_id_N`). Without
// JavaScript the files travel with the form itself (web/routes/posts.py reads both).

function errorOf(xhr) {
  const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
  const said = page.querySelector("[role=alert], .error, main p");
  return said ? said.textContent.trim() : `The upload failed (${xhr.status}).`;
}

function preview(slot, file) {
  const box = slot.querySelector(".media-preview");
  box.replaceChildren(document.createTextNode(file.name));
  if (!/^image\/(jpeg|png|gif|webp|avif)$/.test(file.type)) return;
  const reader = new FileReader();
  reader.addEventListener("load", () => {
    const img = document.createElement("img");
    img.src = reader.result;
    img.alt = `Preview of ${file.name}`;
    box.replaceChildren(img);
  });
  reader.readAsDataURL(file);
}

function upload(form, slot, number, input, done) {
  const file = input.files[0];
  if (!file) return;
  preview(slot, file);
  const progress = form.querySelector(".upload-progress").cloneNode();
  progress.hidden = false;
  progress.setAttribute("aria-label", `Uploading ${file.name}`);
  slot.querySelector(".media-preview").after(progress);
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  const body = new FormData();
  body.append("csrf", form.elements.csrf.value);
  body.append("file", file);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/compose/media");
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) progress.value = (100 * event.loaded) / event.total;
  });
  xhr.addEventListener("loadend", () => {
    progress.remove();
    submit.disabled = form.querySelectorAll("progress.upload-progress:not([hidden])").length > 0;
    if (xhr.status !== 200) {
      slot.querySelector(".media-preview").textContent = errorOf(xhr);
      input.value = "";
      return;
    }
    const kept = slot.querySelector("input[type=hidden]") || document.createElement("input");
    Object.assign(kept, { type: "hidden", name: `media_id_${number}`, value: JSON.parse(xhr.responseText).id });
    slot.append(kept);
    input.value = ""; // sent already: the form carries its id, not the file again
    slot.dataset.filled = "1";
    done();
  });
  xhr.send(body);
}

function enhance(form) {
  const slots = [...form.querySelectorAll(".media-slot")];
  const showSlots = () => {
    let emptyShown = false;
    for (const slot of slots) {
      slot.hidden = slot.dataset.filled !== "1" && emptyShown;
      emptyShown ||= slot.dataset.filled !== "1";
    }
  };
  slots.forEach((slot, number) => {
    const input = slot.querySelector("input[type=file]");
    input.addEventListener("change", () => upload(form, slot, number, input, showSlots));
  });
  showSlots();
}

export function setUpCompose() {
  document.querySelectorAll("form[data-compose]").forEach(enhance);
}
