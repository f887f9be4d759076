// ffprobe, as the emulators (and the pipeline's test media) run it: whether it is installed,
// and its JSON report on a file.

let installed: Promise<boolean> | undefined;

/** Whether ffprobe runs here (checked once). */
export function hasFfprobe(): Promise<boolean> {
  installed ??= new Deno.Command("ffprobe", { args: ["-version"], stdout: "null" })
    .output().then((o) => o.success, () => false);
  return installed;
}

/**
 * `ffprobe -show_entries <entries> -of json` on a file. `json` is its report (`{}` when it
 * printed none); `stderr` says why when `success` is false. Throws Deno.errors.NotFound
 * when ffprobe is not installed.
 */
export async function ffprobeJson<T>(
  path: string,
  entries: string,
): Promise<{ success: boolean; json: T; stderr: string }> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_entries", entries, "-of", "json", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  let json = {} as T;
  try {
    json = JSON.parse(text || "{}");
  } catch (err) {
    if (out.success) throw err;
  }
  return { success: out.success, json, stderr: new TextDecoder().decode(out.stderr) };
}
