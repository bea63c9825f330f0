// Placeholder until this area is written (owned by the second console helper).
import { h, pageHeader, card } from '../ui.js';


export const routes = [
  {
    pattern: '/admin-credentials',
    render: async (ctx) => {
      return h('div', {}, pageHeader('Admin credentials'), card(null, h('p', { class: 'muted' }, 'Coming soon.')));
    },
  },
];
