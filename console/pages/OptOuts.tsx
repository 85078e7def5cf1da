// Opt-outs: contacts who texted STOP, per bridge number (GET /admin/api/optouts?number=).
import { useState } from 'preact/hooks';
import { usePaged, useApi } from '../data';
import type { NumberView, OptOut } from '../types';
import { Field, Loadable, More, NumberOptions, PageHeader, Phone, Time } from '../ui';

export function OptOuts() {
  const numbers = useApi<NumberView[]>('/admin/api/numbers');
  const [number, setNumber] = useState('');
  const list = usePaged<OptOut>(`/admin/api/optouts${number ? `?number=${encodeURIComponent(number)}` : ''}`);
  return (
    <>
      <PageHeader title="Opt-outs" />
      <p class="muted">Contacts who texted STOP get no texts from that number until they text START.</p>
      <div class="filters">
        <Field label="Bridge number">
          <select name="number" value={number} onChange={(e) => setNumber(e.currentTarget.value)}>
            <option value="">All numbers</option>
            <NumberOptions numbers={numbers.data ?? []} />
          </select>
        </Field>
      </div>
      <Loadable {...list} what="The list of opt-outs needs the newer admin API." empty={list.items.length === 0} emptyText="Nobody has opted out.">
        <ul class="cards">
          {list.items.map((o) => (
            <li class="card item" key={`${o.number}:${o.contact}`}>
              <div class="item-main">
                <strong>
                  <Phone value={o.contact} />
                </strong>
                <span class="muted">
                  from <Phone value={o.number} /> · <Time iso={o.createdAt ?? o.at} />
                </span>
              </div>
            </li>
          ))}
        </ul>
        <More {...list} />
      </Loadable>
    </>
  );
}
