/**
 * The transport seams of the platform link: frames (<= frame size octets, link/udh.ts) in and out,
 * nothing about what they carry. The platform and the terminal are written against these; MQTT
 * (mqtt-transport.ts) is one implementation, an in-memory pair (memory-transport.ts) another, and
 * a real SMS gateway could be a third.
 */

/** Platform side: one transport serves every device. */
export interface LinkTransport {
  /** Sends one frame down to a device; resolves when the broker has it (PUBACK for QoS 1). */
  send(deviceId: string, frame: Uint8Array): Promise<void>;
  /** Registers the handler for frames coming up from devices (one handler; a second call replaces it). */
  onFrame(handler: (deviceId: string, frame: Uint8Array) => void): void;
  close(): Promise<void>;
}

/** Terminal side: one device's link. */
export interface DeviceLinkTransport {
  readonly deviceId: string;
  send(frame: Uint8Array): Promise<void>;
  onFrame(handler: (frame: Uint8Array) => void): void;
  close(): Promise<void>;
}
