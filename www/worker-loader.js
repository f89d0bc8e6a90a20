// Classic worker script: loads Trunk's no-modules wasm-bindgen output, whose start function
// (src/worker.rs) installs the message handler and posts "ready". A failed start is reported
// to the page as an "error: ..." message, since promise rejections in a worker do not reach
// the page's `onerror`.
importScripts('./worker.js');
wasm_bindgen({ module_or_path: './worker_bg.wasm' }).catch((err) => {
  postMessage('error: the worker failed to start: ' + err);
});
