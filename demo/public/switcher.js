// The identity switcher: the demo server sets a cookie (the pages' token source) and returns the
// session, which is stored where supabase-js keeps a signed-in session
// (`sb-<first label of the project host>-auth-token`), so the script-tag page, whose elements
// read the page's Supabase session, signs in as the same person.
export function enhanceSwitchers() {
  for (const form of document.querySelectorAll("form[data-switcher]")) {
    const select = form.querySelector("select");
    if (select) {
      select.addEventListener("change", () => form.requestSubmit());
      form.querySelector("button[type=submit]")?.setAttribute("hidden", "");
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const res = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      if (!res.ok) {
        alert(`Cannot switch identity: HTTP ${res.status}`);
        return;
      }
      const { next, session } = await res.json();
      localStorage.setItem(`sb-${location.hostname.split(".")[0]}-auth-token`, JSON.stringify(session));
      location.assign(next);
    });
  }
}
