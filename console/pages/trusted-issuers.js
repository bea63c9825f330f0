// Placeholder until this area is written (owned by the second console helper).
import { h, pageHeader, card } from '../ui.js';
import { authServerFrame } from './common.js';

export const routes = [
  {
    pattern: '/auth-servers/:authServerId/trusted-issuers',
    render: async (ctx) => {
      const authServer = await ctx.api.get(`/v1/auth-servers/${ctx.params.authServerId}`);
      return authServerFrame(ctx, authServer, 'trusted-issuers', card('Trusted issuers', h('p', { class: 'muted' }, 'Coming soon.')));
    },
  },
];
