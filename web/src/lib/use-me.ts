import { useQuery } from '@tanstack/react-query';
import { endpoints } from '../api/endpoints.js';

/** Who this browser acts as (owner key, team member, token): the nav and the pages offer what it may do. */
export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: ({ signal }) => endpoints.me(signal), staleTime: 60_000 });
}
