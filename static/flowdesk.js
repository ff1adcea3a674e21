// Small behaviours of the server-rendered pages, kept out of the HTML: the Content Security Policy
// allows no inline scripts or on* attributes. Listeners sit on the document, so markup only names
// what it wants:
//   <form data-confirm="Question?">    asks before submitting (Cancel keeps the page as it is);
//   <select data-autosubmit>           submits its form when the choice changes;
//   <label data-keyboard-click>        Enter or Space clicks its control (a styled file picker).
'use strict';

document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

document.addEventListener('change', (event) => {
  const field = event.target;
  if (field instanceof Element && field.matches('[data-autosubmit]') && field.form) field.form.submit();
});

document.addEventListener('keydown', (event) => {
  const label = event.target;
  if (!(label instanceof HTMLLabelElement) || !label.hasAttribute('data-keyboard-click')) return;
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    if (label.control) label.control.click();
  }
});
