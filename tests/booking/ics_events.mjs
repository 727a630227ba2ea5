// Reads a calendar file from stdin with two JavaScript parsers and prints, for
// each, its events' UIDs and starts (UTC ISO) as JSON: tests/booking/test_ics_parsers.py.
import { createRequire } from "node:module";

const require = createRequire(process.argv[2]);
const ICAL = require("ical.js");
const nodeIcal = require("node-ical");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const component = new ICAL.Component(ICAL.parse(text));
const icaljs = component.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return { uid: event.uid, start: event.startDate.toJSDate().toISOString() };
});

const parsed = nodeIcal.sync.parseICS(text);
const nodeical = Object.values(parsed)
  .filter((item) => item.type === "VEVENT")
  .map((event) => ({ uid: event.uid, start: new Date(event.start).toISOString() }));

process.stdout.write(JSON.stringify({ "ical.js": icaljs, "node-ical": nodeical }));
