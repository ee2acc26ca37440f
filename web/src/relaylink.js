// SPDX-License-Identifier: MIT
// RelayLink: one WebSocket to the relay, as sync/relaylink.h is for the desktop: hello, reconnect with
// backoff, the relay's rate limit kept on our side, and typed failures the page can put into words.
//
// States: 'connecting' -> 'connected' (welcome received) -> 'offline' (lost; retrying after `retryAt`) or
// 'refused' (bad token, client id taken, protocol: retrying would not help until the user acts).
// Messages are paced to 90 % of welcome's opsPerSecond with 80 % of its burst, as sync/relaylink.cpp does: the
// relay counts every message and closes a connection that keeps flooding. A large `opened` costs one more
// token per 64 KiB, which charge() takes off the bucket.
//
// Events (EventTarget): 'state', 'welcome' (detail: the welcome message), 'message' (detail: a message).
import { wireJson } from './otclient.js';

export class RelayLink extends EventTarget {
  #url;
  #helloFields;
  #socket = null;
  #queue = [];
  #tokens = 0;
  #capacity = 1;
  #rate = 1;  // tokens per ms
  #refilledAt = 0;
  #pump = null;
  #retryTimer = null;
  #backoffMs = 500;
  #everOpened = false;
  #closedByUs = false;
  #refusal = null;  // why the relay refused the hello, until the close that follows

  constructor(url, helloFields) {
    super();
    this.#url = url;
    this.#helloFields = helloFields;
    this.state = 'connecting';
    this.reason = '';
    this.retryAt = 0;
    this.welcome = null;
  }

  connect() {
    clearTimeout(this.#retryTimer);
    this.#closedByUs = false;
    this.#setState('connecting', '');
    let socket;
    try {
      socket = new WebSocket(this.#url);
    } catch (error) {
      this.#lost(`cannot connect to ${this.#url}: ${error.message}`);
      return;
    }
    this.#socket = socket;
    this.#everOpened = false;
    socket.onopen = () => {
      this.#everOpened = true;
      socket.send(wireJson({ type: 'hello', protocol: 1, ...this.#helloFields() }));
    };
    socket.onmessage = (event) => this.#onFrame(event.data);
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (this.#closedByUs) return;
      this.#onClose(event);
    };
  }

  // Close for good (the page goes to another document).
  close() {
    this.#closedByUs = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#pump);
    if (this.#socket) this.#socket.close(1000);
    this.#socket = null;
  }

  // Drop the connection and reconnect (an acknowledgement that never came: the network may be gone silently).
  reconnectNow(reason) {
    if (this.#socket) {
      const socket = this.#socket;
      this.#socket = null;
      socket.close(4000, 'reconnecting');
    }
    this.#lost(reason);
  }

  get isConnected() {
    return this.state === 'connected';
  }

  // Queue a message; it leaves as soon as the rate limit allows, in order.
  send(message) {
    if (!this.isConnected) return false;
    this.#queue.push(message);
    this.#flush();
    return true;
  }

  // Rate-limit tokens a reply cost beyond its own message (an `opened` per 64 KiB of it).
  charge(tokens) {
    this.#refill();
    this.#tokens -= tokens;
  }

  #setState(state, reason) {
    this.state = state;
    this.reason = reason;
    this.dispatchEvent(new CustomEvent('state'));
  }

  #onFrame(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === 'welcome') {
      this.welcome = message;
      const limits = message.limits ?? {};
      this.#rate = ((limits.opsPerSecond ?? 100) * 0.9) / 1000;
      this.#capacity = Math.max(1, Math.floor((limits.burst ?? 200) * 0.8));
      this.#tokens = this.#capacity - 1;  // the hello
      this.#refilledAt = performance.now();
      this.#backoffMs = 500;
      this.#setState('connected', '');
      this.dispatchEvent(new CustomEvent('welcome', { detail: message }));
      return;
    }
    if (message.type === 'error' && !this.isConnected) {
      // Refused at hello: say why, and do not hammer the relay with the same hello.
      const refusals = {
        forbidden: 'The relay refused the token: enter a valid one.',
        'client-id-taken': 'This browser\'s editor id is in use by someone else.',
        'protocol-version': 'The relay speaks another protocol version: reload the page.',
        'too-many-connections': 'The relay has too many connections from this address right now.',
      };
      const fatal = message.code !== 'too-many-connections';
      this.#refusal = { code: message.code, text: refusals[message.code] ?? message.message, fatal };
    }
    this.dispatchEvent(new CustomEvent('message', { detail: message }));
  }

  #onClose(event) {
    console.info(`coscribe: connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
    clearTimeout(this.#pump);
    this.#queue = [];
    const refusal = this.#refusal;
    this.#refusal = null;
    if (refusal?.fatal) {
      this.refusalCode = refusal.code;  // before the event: listeners read it
      this.#setState('refused', refusal.text);
      return;
    }
    if (refusal) { this.#lost(refusal.text); return; }
    const reasons = {
      1001: 'The relay is restarting.',
      1008: 'The relay refused the connection.',
      1009: 'A message was too large for the relay.',
      4008: 'The relay closed the connection: no hello in time.',
      4010: 'The connection timed out.',
      4013: 'The relay closed the connection: this page was reading too slowly.',
      4029: 'The relay closed the connection: too many messages.',
    };
    if (!this.#everOpened) {
      this.#probe();
      return;
    }
    this.#lost(reasons[event.code] ?? (event.reason || 'The connection to the relay was lost.'));
  }

  // The handshake failed: the browser does not say why. If the relay answers plain HTTP the relay is up and
  // refused this page's WebSocket (its origin is not allowed); otherwise it is unreachable.
  async #probe() {
    let up = false;
    try {
      const http = this.#url.replace(/^ws/, 'http').replace(/\/[^/]*$/, '/healthz');
      await fetch(http, { mode: 'no-cors', cache: 'no-store' });
      up = true;
    } catch {
      up = false;
    }
    if (this.#closedByUs) return;
    if (up && new URL(this.#url).host !== location.host) {
      this.refusalCode = 'origin';
      this.#setState('refused', `The relay at ${new URL(this.#url).host} refused this page (origin `
                                + `${location.origin} is not allowed).`);
      return;
    }
    this.#lost(up ? 'The relay refused the connection.' : 'The relay cannot be reached.');
  }

  #lost(reason) {
    clearTimeout(this.#retryTimer);
    const delay = this.#backoffMs * (0.75 + Math.random() * 0.5);
    this.#backoffMs = Math.min(15000, this.#backoffMs * 2);
    this.retryAt = Date.now() + delay;
    this.#setState('offline', reason);
    this.#retryTimer = setTimeout(() => this.connect(), delay);
  }

  #refill() {
    const now = performance.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#refilledAt) * this.#rate);
    this.#refilledAt = now;
  }

  #flush() {
    clearTimeout(this.#pump);
    this.#pump = null;
    this.#refill();
    while (this.#queue.length && this.#tokens >= 1 && this.#socket?.readyState === WebSocket.OPEN) {
      this.#tokens -= 1;
      this.#socket.send(wireJson(this.#queue.shift()));
    }
    if (this.#queue.length) {
      const wait = Math.max(1, (1 - this.#tokens) / this.#rate);
      this.#pump = setTimeout(() => this.#flush(), wait);
    }
  }
}
