/** The shop's products: the API's data (a real app would read a database). */
export const PRODUCTS = [
  { id: 1, name: 'Trail runner shoes', price: 89.0, listPrice: 119.0, rating: 4.6 },
  { id: 2, name: 'Rain shell jacket', price: 149.0, rating: 4.3 },
  { id: 3, name: 'Merino base layer', price: 65.0, listPrice: 80.0, rating: 4.8 },
  { id: 4, name: 'Trekking poles', price: 54.5, rating: 4.1 },
  { id: 5, name: 'Headlamp 400 lm', price: 39.9, listPrice: 49.9, rating: 4.5 },
  { id: 6, name: 'Water filter', price: 44.0, rating: 4.7 },
  { id: 7, name: 'Down sleeping bag', price: 329.0, listPrice: 389.0, rating: 4.9 },
  { id: 8, name: 'Camp stove', price: 59.0, rating: 4.2 },
  { id: 9, name: 'Daypack 24 l', price: 99.0, listPrice: 129.0, rating: 4.4 },
  { id: 10, name: 'Insulated bottle', price: 29.0, rating: 4.0 },
  { id: 11, name: 'Trail map set', price: 19.5, listPrice: 24.0, rating: 3.9 },
  { id: 12, name: 'First-aid kit', price: 34.0, rating: 4.6 },
];
