// Placeholder until this area is written (owned by the second console helper).
import { h, pageHeader, card } from '../ui.js';


export const routes = [
  {
    pattern: '/audit',
    render: async (ctx) => {
      return h('div', {}, pageHeader('Audit log'), card(null, h('p', { class: 'muted' }, 'Coming soon.')));
    },
  },
];
