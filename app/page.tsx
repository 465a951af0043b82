import { Studio } from '@/components/Studio';

export default function Home() {
  return <Studio />;
}
