// Starts the app without an inline script, so the page's Content-Security-Policy can stay
// `script-src 'self'`. Trunk fills in the hashed file names (Trunk.toml `pattern_script`).
const boot = document.getElementById('eifscope-boot');
try {
  const { default: init } = await import(boot.dataset.js);
  await init({ module_or_path: boot.dataset.wasm });
} catch (err) {
  document.documentElement.dataset.state = 'error';
  document.body.textContent = 'eifscope failed to start: ' + err;
  throw err;
}
