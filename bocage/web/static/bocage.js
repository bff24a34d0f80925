// The pages' scripts (plain ES modules, no build step). Every page works without them;
// they add blurhash placeholders, the lightbox and uploads with progress.
import { paintAll } from "./blurhash.js";
import { setUpCompose } from "./compose.js";
import { setUpLightbox } from "./lightbox.js";

paintAll();
setUpLightbox();
setUpCompose();
