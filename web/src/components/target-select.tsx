import { useQuery } from '@tanstack/react-query';
import { endpoints } from '../api/endpoints.js';
import { SelectField } from './ui.js';

/** Where a backup goes: the local repository / local dumps, or one of the configured targets. */
export function TargetSelect({
  value,
  onChange,
  localLabel,
}: {
  value: string;
  onChange: (v: string) => void;
  localLabel: string;
}) {
  const targets = useQuery({ queryKey: ['backup-targets'], queryFn: ({ signal }) => endpoints.backupTargets(signal) });
  return (
    <SelectField label="Backup to" value={value} onChange={(e) => onChange(e.target.value)} className="min-w-56">
      <option value="">{localLabel}</option>
      {(targets.data ?? []).map((t) => (
        <option key={t.name} value={t.name}>
          off-site: {t.name} ({t.kind})
        </option>
      ))}
    </SelectField>
  );
}
