import '../lib/base.css';
import { byId, setText } from '../lib/dom.js';
import { initI18n } from '../lib/i18n.js';

// The promotion chooser: shoppers normally arrive on /queue/:id from a campaign link.
const { t } = initI18n();
document.title = t.chooseTitle;
setText(byId('title'), t.chooseTitle);
setText(byId('choose-label'), t.chooseLabel);
setText(byId('go'), t.chooseGo);
byId<HTMLFormElement>('choose').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = byId<HTMLInputElement>('promotion').value.trim();
  if (/^[A-Za-z0-9_-]{1,64}$/.test(id)) location.assign(`/queue/${encodeURIComponent(id)}`);
});
