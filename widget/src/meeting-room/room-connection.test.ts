import { expect } from "@open-wc/testing";
import { parseConnectionData } from "./room-connection.js";

describe("OpenVidu connection data", () => {
  // As the meetings function writes it into the token (functions/meetings/lifecycle.ts).
  const server = JSON.stringify({
    user_id: "0a000000-0000-4000-8000-00000000000a",
    display_name: "Camille Martin",
    role: "client",
  });

  it("reads the server's data alone", () => {
    expect(parseConnectionData(server)).to.deep.equal({ displayName: "Camille Martin", userId: "0a000000-0000-4000-8000-00000000000a", kind: "camera" });
  });

  it("splits client%/%server when both are set: the chosen name wins, the user id comes from the server", () => {
    const client = JSON.stringify({ displayName: "Camille (Atelier)", kind: "screen", userId: "forged" });
    expect(parseConnectionData(`${client}%/%${server}`)).to.deep.equal({
      displayName: "Camille (Atelier)",
      userId: "0a000000-0000-4000-8000-00000000000a",
      kind: "screen",
    });
  });

  it("survives data that is not ours: empty, not JSON, overlong names", () => {
    expect(parseConnectionData("")).to.deep.equal({ displayName: "", userId: null, kind: "camera" });
    expect(parseConnectionData("plain text%/%{broken")).to.deep.equal({ displayName: "", userId: null, kind: "camera" });
    expect(parseConnectionData(JSON.stringify({ display_name: "x".repeat(500) })).displayName).to.have.length(80);
  });
});
