import { html, raw } from './html';

describe('html', () => {
  it('escapes every interpolated value, also inside lists', () => {
    const name = '<script>alert("x")</script>';
    expect(html`<td title="${name}">${[name, 1]}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;1</td>',
    );
  });
  it('passes nested templates and raw markup through unescaped, and drops null, undefined and false', () => {
    expect(html`<p>${html`<b>${"'"}</b>`}${raw('<br>')}${null}${undefined}${false}</p>`.text).toBe('<p><b>&#39;</b><br></p>');
  });
});
