import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { EdgeBadge } from './edge-badge.js';

const edge = {
  relay: null,
  tunnelPort: 20005,
  deviceSshPort: 22,
  tunnel: 'waiting' as const,
  tunnelError: null,
  lastSeenAt: null,
};

describe('EdgeBadge', () => {
  it('marks an edge server with its tunnel state', () => {
    const html = renderToStaticMarkup(<EdgeBadge edge={edge} />);
    expect(html).toContain('data-edge="waiting"');
    expect(html).toContain('edge · waiting');
    expect(html).toContain('last seen never');
  });

  it('names the relay of a connected device', () => {
    const html = renderToStaticMarkup(
      <EdgeBadge edge={{ ...edge, relay: 'r1', tunnel: 'connected', lastSeenAt: new Date().toISOString() }} />,
    );
    expect(html).toContain('edge · connected');
    expect(html).toContain('relay r1');
  });

  it('renders nothing for a server that is not an edge server', () => {
    expect(renderToStaticMarkup(<EdgeBadge edge={null} />)).toBe('');
  });
});
