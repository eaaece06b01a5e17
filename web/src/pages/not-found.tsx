import { Link } from 'react-router';
import { Empty } from '../components/states.js';

export default function NotFoundPage() {
  return (
    <Empty title="Page not found">
      <Link to="/" className="text-indigo-600 hover:underline dark:text-indigo-400">
        Back to the dashboard
      </Link>
    </Empty>
  );
}
