// Being written.
import { h, card } from '../ui.js';
import { authServerFrame, loadAuthServer } from './common.js';

export const routes = [
  {
    pattern: '/auth-servers/:authServerId/scopes',
    render: async (ctx) => authServerFrame(ctx, await loadAuthServer(ctx), 'scopes', card(null, h('p', { class: 'muted' }, 'Coming soon.'))),
  },
];
