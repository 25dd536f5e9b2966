/**
 * Puts concatenated link frames back together into one secured packet (TS 23.040 §9.2.3.24.1;
 * hardening as in onomondo-uicc PR #58, 3GPP TS 23.040 §9.2.3.24.1):
 *
 * - parts may arrive in any order; a reassembly is keyed by (reference width, reference, total);
 * - an exact duplicate of a part is ignored (MQTT QoS 1 redelivers, like an SMS retry), also for a
 *   while after its packet completed, so a late redelivery does not start a reassembly that never ends;
 * - a different part under a number already held is a conflicting duplicate: the reassembly is
 *   dropped, since neither copy can be trusted, and the sender's retry starts afresh;
 * - malformed headers, frames over the frame size and packets over maxParts are refused;
 * - at most maxConcurrent reassemblies are open; a first part for another one when all are open
 *   evicts one: the one holding the fewest parts, and among those the one fed least recently. Junk
 *   first parts that never continue cannot hold every slot, and a real transfer, whose parts come
 *   back to back, is not the one that goes;
 * - a reassembly older than timeoutS is dropped; time is passed in (seconds on any monotonic clock
 *   below 2^31), the core has no timers.
 *
 * A completed packet must have its 2-byte length (CPL/RPL, TS 102 225 §5.1.1 / §5.2.1) equal to
 * what arrived; otherwise a segment was truncated or padded and the packet is refused.
 *
 * Memory is fixed at construction: maxConcurrent x maxParts x frameSize octets for parts plus
 * maxParts x frameSize for the assembled packet (or the caller's buffer for it).
 */
import { copy, equalBytes, readU16, writeU16 } from '../bytes';
import { FrameHeader, REF_NONE, SMS_USER_DATA_MAX, parseUdh } from './udh';

/** push() results. Values >= REASSEMBLY_REJECTED are refusals; nothing was stored for them. */
export const REASSEMBLY = {
  /** Part kept; more parts are needed. */
  PART_STORED: 0,
  /** A packet is complete in `packet[0, packetLength)`, kind in `packetKind`. */
  COMPLETE: 1,
  /** Exact copy of a part already held: ignored. */
  DUPLICATE: 2,
  MALFORMED_HEADER: 16,
  FRAME_TOO_LONG: 17,
  TOO_MANY_PARTS: 18,
  CONFLICTING_DUPLICATE: 19,
  /** The completed packet's CPL/RPL disagrees with its length (truncated or padded segment). */
  LENGTH_MISMATCH: 21,
} as const;

export const REASSEMBLY_REJECTED = 16;

export function isReassemblyRejection(code: number): boolean {
  return code >= REASSEMBLY_REJECTED;
}

export class ReassemblerSettings {
  /** Largest frame accepted; the same setting as the sender's SegmenterSettings.frameSize. */
  frameSize = SMS_USER_DATA_MAX;
  /** Largest part count accepted; at least the sender's SegmenterSettings.maxParts. */
  maxParts = 8;
  /** Reassemblies open at once (onomondo-uicc uses 4). */
  maxConcurrent = 4;
  /** Seconds after its first part that an unfinished reassembly is dropped. */
  timeoutS = 60;
}

const FEEDS_MAX = 0x3fffffff;

const SLOT_FREE = 0;
const SLOT_COLLECTING = 1;
/** Complete and delivered; kept until timeout or reuse so that late duplicates are recognised. */
const SLOT_DONE = 2;

class Slot {
  state = SLOT_FREE;
  refWidth = REF_NONE;
  ref = 0;
  total = 0;
  received = 0;
  packetId = 0;
  startedAt = 0;
  /** Reassembler.feeds when its last part arrived (eviction order). */
  fedAt = 0;
  /** Part seq's data sits at (seq - 1) * frameSize. */
  readonly parts: Uint8Array;
  /** Part lengths as 16-bit values; 0 = not received (every part carries at least one octet). */
  readonly lengths: Uint8Array;

  constructor(maxParts: number, frameSize: number) {
    this.parts = new Uint8Array(maxParts * frameSize);
    this.lengths = new Uint8Array(maxParts * 2);
  }
}

export class Reassembler {
  /** The last completed packet: packet[0, packetLength). Overwritten by the next COMPLETE. */
  readonly packet: Uint8Array;
  packetLength = 0;
  /** PACKET_COMMAND (0x70) or PACKET_RESPONSE (0x71) for the last completed packet. */
  packetKind = 0;

  private readonly frameSize: number;
  private readonly maxParts: number;
  private readonly timeoutS: number;
  private readonly slots: Slot[];
  private readonly header = new FrameHeader();
  /** Parts stored so far (eviction order; renumbered in push()). */
  private feeds = 0;

  /**
   * packet, when given, is the buffer (at least maxParts x frameSize octets) packets are assembled
   * in, shared with a user that is done with each packet before the next frame comes (LinkEndpoint).
   */
  constructor(settings: ReassemblerSettings, packet?: Uint8Array) {
    if (settings.maxParts < 1 || settings.maxParts > 255) {
      throw new Error('Reassembler: maxParts must be 1..255, got ' + settings.maxParts);
    }
    if (settings.maxConcurrent < 1) throw new Error('Reassembler: maxConcurrent must be at least 1');
    if (settings.frameSize < 10 || settings.frameSize > 0xffff) {
      throw new Error('Reassembler: frameSize must be 10..65535 octets, got ' + settings.frameSize);
    }
    this.frameSize = settings.frameSize;
    this.maxParts = settings.maxParts;
    this.timeoutS = settings.timeoutS;
    const packetMax = settings.maxParts * settings.frameSize;
    if (packet !== undefined && packet.length < packetMax) throw new Error('Reassembler: packet buffer of ' + packet.length + ' octets, packets up to ' + packetMax);
    this.packet = packet === undefined ? new Uint8Array(packetMax) : packet;
    this.slots = [];
    for (let i = 0; i < settings.maxConcurrent; i++) this.slots.push(new Slot(settings.maxParts, settings.frameSize));
  }

  /** Takes one frame received at time now (seconds); returns a REASSEMBLY code. */
  push(frame: Uint8Array, off: number, len: number, now: number): number {
    if (len > this.frameSize) return REASSEMBLY.FRAME_TOO_LONG;
    const h = this.header;
    if (!parseUdh(frame, off, len, h)) return REASSEMBLY.MALFORMED_HEADER;
    if (h.total > this.maxParts) return REASSEMBLY.TOO_MANY_PARTS;
    this.expire(now);
    if (h.refWidth === REF_NONE) {
      copy(frame, h.dataOff, this.packet, 0, h.dataLen);
      return this.deliver(h.dataLen, h.packetId);
    }
    // The slot of this reassembly, if any. find, open, the feed order and completion are written
    // out here, not methods of their own: each costs Espruino ~4 JsVars while the firmware runs.
    const slots = this.slots;
    let slot: Slot | null = null;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (s.state !== SLOT_FREE && s.refWidth === h.refWidth && s.ref === h.ref && s.total === h.total) {
        slot = s;
        break;
      }
    }
    if (slot !== null && slot.state === SLOT_DONE) {
      if (this.holdsSame(slot, frame, h)) return REASSEMBLY.DUPLICATE;
      // Same reference, different content: the sender has moved on and reused the reference.
      slot.state = SLOT_FREE;
      slot = null;
    }
    if (slot === null) {
      // A free slot, else the oldest remembered (done) one, else an open reassembly, which is
      // dropped: the one with the fewest parts, least recently fed among those.
      let victim = slots[0];
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i];
        if (s.state === SLOT_FREE) {
          slot = s;
          break;
        }
        if (s.state === SLOT_DONE && (slot === null || s.startedAt < slot.startedAt)) slot = s;
        if (s.received < victim.received || (s.received === victim.received && s.fedAt < victim.fedAt)) victim = s;
      }
      if (slot === null) slot = victim;
      slot.state = SLOT_COLLECTING;
      slot.refWidth = h.refWidth;
      slot.ref = h.ref;
      slot.total = h.total;
      slot.received = 0;
      slot.packetId = 0;
      slot.startedAt = now;
      slot.fedAt = 0;
      for (let i = 0; i < h.total * 2; i++) slot.lengths[i] = 0;
    } else if (readU16(slot.lengths, (h.seq - 1) * 2) !== 0) {
      if (this.holdsSame(slot, frame, h)) return REASSEMBLY.DUPLICATE;
      slot.state = SLOT_FREE;
      return REASSEMBLY.CONFLICTING_DUPLICATE;
    }
    copy(frame, h.dataOff, slot.parts, (h.seq - 1) * this.frameSize, h.dataLen);
    writeU16(slot.lengths, (h.seq - 1) * 2, h.dataLen);
    slot.received = slot.received + 1;
    // Feed order; renumbered before it could reach 2^30 (values stay below 2^31 for Lua).
    if (this.feeds >= FEEDS_MAX) {
      for (let i = 0; i < slots.length; i++) slots[i].fedAt = 0;
      this.feeds = 0;
    }
    this.feeds = this.feeds + 1;
    slot.fedAt = this.feeds;
    if (h.packetId !== 0) slot.packetId = h.packetId;
    if (slot.received < slot.total) return REASSEMBLY.PART_STORED;
    let n = 0;
    for (let seq = 1; seq <= slot.total; seq++) {
      const partLen = readU16(slot.lengths, (seq - 1) * 2);
      copy(slot.parts, (seq - 1) * this.frameSize, this.packet, n, partLen);
      n = n + partLen;
    }
    const code = this.deliver(n, slot.packetId);
    slot.state = code === REASSEMBLY.COMPLETE ? SLOT_DONE : SLOT_FREE;
    return code;
  }

  /** Drops reassemblies (open or remembered) older than timeoutS at time now; returns how many were open. */
  expire(now: number): number {
    let dropped = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s.state === SLOT_FREE) continue;
      const age = now - s.startedAt;
      if (age >= this.timeoutS || age < 0) {
        if (s.state === SLOT_COLLECTING) dropped = dropped + 1;
        s.state = SLOT_FREE;
      }
    }
    return dropped;
  }

  /** Reassemblies still waiting for parts. */
  pending(): number {
    let n = 0;
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i].state === SLOT_COLLECTING) n = n + 1;
    return n;
  }

  private holdsSame(slot: Slot, frame: Uint8Array, h: FrameHeader): boolean {
    const held = readU16(slot.lengths, (h.seq - 1) * 2);
    return held === h.dataLen && equalBytes(slot.parts, (h.seq - 1) * this.frameSize, frame, h.dataOff, h.dataLen);
  }

  /** Checks the packet's own length field (CPL/RPL counts the octets after it). */
  private deliver(length: number, packetId: number): number {
    if (length < 2 || readU16(this.packet, 0) + 2 !== length) return REASSEMBLY.LENGTH_MISMATCH;
    this.packetLength = length;
    this.packetKind = packetId;
    return REASSEMBLY.COMPLETE;
  }
}
