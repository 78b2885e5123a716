/** A one-line progress bar, redrawn in place on a terminal; silent when output is not a terminal (CI, tests). */
export interface ProgressBar {
  tick(ok: boolean): void;
  stop(): void;
}

export function progressBar(total: number, out: NodeJS.WriteStream = process.stdout): ProgressBar {
  const width = 30;
  const started = Date.now();
  let done = 0;
  let failed = 0;
  const draw = () => {
    if (!out.isTTY) return;
    const filled = Math.round((done / total) * width);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const failures = failed > 0 ? `, ${failed} failed` : '';
    out.write(`\r  [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} answered${failures} · ${seconds} s `);
  };
  // Keeps the clock moving while every request is still queued.
  const timer = setInterval(draw, 100);
  draw();
  return {
    tick(ok: boolean) {
      done += 1;
      if (!ok) failed += 1;
      draw();
    },
    stop() {
      clearInterval(timer);
      draw();
      if (out.isTTY) out.write('\n');
    },
  };
}
