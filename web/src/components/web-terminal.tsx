import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { Plug, Unplug } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { carriedError } from '../api/client.js';
import type { TerminalServerMessage, TerminalTicket } from '../api/types.js';
import { FormError } from './form-parts.js';
import { Button } from './ui.js';

type Phase =
  | { state: 'idle' }
  | { state: 'connecting' }
  | { state: 'open'; title: string }
  | { state: 'ended'; message: string }
  | { state: 'failed'; error: unknown };

/**
 * xterm.js over the terminal WebSocket: the API (key in the header) hands out a one-time ticket, the socket
 * carries keystrokes and output as binary frames and resizes as JSON. Leaving the page or pressing Disconnect
 * closes the socket, which hangs the remote session up.
 */
export default function WebTerminal({
  label,
  requestTicket,
}: {
  label: string;
  requestTicket: (size: { cols: number; rows: number }) => Promise<TerminalTicket>;
}) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<{ xterm: Terminal; fit: FitAddon } | null>(null);
  const socket = useRef<WebSocket | null>(null);
  const [phase, setPhase] = useState<Phase>({ state: 'idle' });

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xterm = new Terminal({
      convertEol: false,
      cursorBlink: true,
      fontSize: 13,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      theme: { background: '#18181b', foreground: '#f4f4f5' },
      screenReaderMode: true,
    });
    const fit = new FitAddon();
    xterm.loadAddon(fit);
    xterm.open(el);
    fit.fit();
    term.current = { xterm, fit };
    const encoder = new TextEncoder();
    xterm.onData((d) => {
      const ws = socket.current;
      if (ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(d));
    });
    xterm.onResize(({ cols, rows }) => {
      const ws = socket.current;
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(el);
    return () => {
      observer.disconnect();
      socket.current?.close();
      socket.current = null;
      xterm.dispose();
      term.current = null;
    };
  }, []);

  const connect = async () => {
    const t = term.current;
    if (!t) return;
    socket.current?.close();
    setPhase({ state: 'connecting' });
    t.xterm.reset();
    try {
      const ticket = await requestTicket({ cols: t.xterm.cols, rows: t.xterm.rows });
      const url = new URL(ticket.path, window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      socket.current = ws;
      let ended = false;
      ws.onmessage = (ev) => {
        if (typeof ev.data !== 'string') return t.xterm.write(new Uint8Array(ev.data as ArrayBuffer));
        const msg = JSON.parse(ev.data) as TerminalServerMessage;
        if (msg.type === 'ready') {
          setPhase({ state: 'open', title: msg.title });
          t.xterm.focus();
        } else if (msg.type === 'exit') {
          ended = true;
          setPhase({ state: 'ended', message: `The session ended (exit ${msg.code}).` });
        } else if (msg.type === 'error') {
          ended = true;
          setPhase({ state: 'failed', error: carriedError(msg.error) });
        }
      };
      ws.onclose = () => {
        if (socket.current === ws) socket.current = null;
        if (!ended) setPhase({ state: 'ended', message: 'The connection closed.' });
      };
    } catch (e) {
      setPhase({ state: 'failed', error: e });
    }
  };

  const disconnect = () => {
    socket.current?.close();
  };

  const live = phase.state === 'open' || phase.state === 'connecting';
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        {live ? (
          <Button onClick={disconnect}>
            <Unplug aria-hidden className="size-4" /> Disconnect
          </Button>
        ) : (
          <Button variant="primary" onClick={() => void connect()}>
            <Plug aria-hidden className="size-4" /> {phase.state === 'idle' ? 'Open terminal' : 'Reconnect'}
          </Button>
        )}
        <span className="text-sm text-zinc-600 dark:text-zinc-400" role="status" data-terminal-status={phase.state}>
          {phase.state === 'idle' ? `A terminal in ${label}.` : null}
          {phase.state === 'connecting' ? 'Connecting…' : null}
          {phase.state === 'open' ? `Connected: ${phase.title}` : null}
          {phase.state === 'ended' ? phase.message : null}
        </span>
      </div>
      {phase.state === 'failed' ? <FormError error={phase.error} /> : null}
      <section
        aria-label={`Terminal: ${label}`}
        className="h-[28rem] overflow-hidden rounded-md border border-zinc-300 bg-zinc-900 p-2 dark:border-zinc-700"
      >
        <div ref={host} className="h-full w-full" data-terminal />
      </section>
    </div>
  );
}
