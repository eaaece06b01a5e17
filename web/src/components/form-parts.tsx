import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import type { SelectHTMLAttributes } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { ServerView } from '../api/types.js';
import { ErrorState } from './states.js';
import { SelectField } from './ui.js';

/** The servers a new app or database can go on; the first is the choice until the user picks one. */
export function useServerChoice(enabled: boolean, picked: string) {
  const servers = useQuery({ queryKey: ['servers'], queryFn: ({ signal }) => endpoints.servers(signal), enabled });
  return { servers, server: picked || servers.data?.[0]?.name || '' };
}

export function ServerSelect({
  servers,
  ...select
}: SelectHTMLAttributes<HTMLSelectElement> & { servers: UseQueryResult<ServerView[]>; error?: string | undefined }) {
  return (
    <SelectField label="Server" {...select}>
      {servers.data?.length ? null : (
        <option value="">{servers.isPending ? 'Loading…' : 'No servers — add one first'}</option>
      )}
      {servers.data?.map((s) => (
        <option key={s.id} value={s.name}>
          {s.name}
        </option>
      ))}
    </SelectField>
  );
}

/** Why the last submit of a two-column form failed, across both columns. */
export function FormError({ error }: { error: unknown }) {
  return error ? (
    <div className="sm:col-span-2">
      <ErrorState error={error} />
    </div>
  ) : null;
}
