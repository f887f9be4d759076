// The QA home: identity cards, the OpenVidu emulator's sessions, the OpenAI emulator's faults.
import { startSessionsOverview } from "/assets/emulator.js";
import { enhanceSwitchers } from "/assets/switcher.js";

enhanceSwitchers();
const sessions = document.querySelector("[data-emulator-sessions]");
if (sessions) startSessionsOverview(sessions);

for (const button of document.querySelectorAll("button[data-fault]")) {
  button.addEventListener("click", async () => {
    const out = document.querySelector("[data-fault-result]");
    const res = await fetch("/demo/emulators/openai/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fault: button.dataset.fault, times: 1 }),
    });
    out.textContent = res.ok
      ? `La prochaine transcription recevra une erreur ${button.dataset.fault}.`
      : `L'émulateur a refusé : HTTP ${res.status}`;
  });
}
