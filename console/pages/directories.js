// Placeholder until this area is written (owned by the second console helper).
import { h, pageHeader, card } from '../ui.js';


export const routes = [
  {
    pattern: '/directories',
    render: async (ctx) => {
      return h('div', {}, pageHeader('Directories'), card(null, h('p', { class: 'muted' }, 'Coming soon.')));
    },
  },
];
