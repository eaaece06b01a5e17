import { ArrowLeft } from 'lucide-react';
import { Link, useParams } from 'react-router';
import { JobView } from '../components/job-view.js';
import { Card, PageHeader } from '../components/ui.js';

export default function JobDetailPage() {
  const { id = '' } = useParams();
  return (
    <>
      <Link
        to="/jobs"
        className="mb-2 inline-flex items-center gap-1 text-sm text-zinc-500 dark:text-zinc-400 hover:text-zinc-800 dark:hover:text-zinc-200"
      >
        <ArrowLeft aria-hidden className="size-4" /> Jobs
      </Link>
      <PageHeader title="Job" subtitle={<span className="font-mono text-xs">{id}</span>} />
      <Card>
        <JobView id={id} />
      </Card>
    </>
  );
}
